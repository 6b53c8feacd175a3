// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

/// @notice The part of Seaport 1.6 that the fork tests drive: its order types and the entry points a listing, a fill
/// and the sale rules need. Written from Seaport 1.6's ABI (the artifact in the npm package seaport-js 4.3.0); Seaport
/// itself is never compiled here: the replica runs that package's compiled bytecode.
library SeaportTypes {
    /// @dev 0 native ETH, 1 ERC-20, 2 ERC-721, 3 ERC-1155, 4/5 the same with criteria.
    enum ItemType {
        NATIVE,
        ERC20,
        ERC721,
        ERC1155,
        ERC721_WITH_CRITERIA,
        ERC1155_WITH_CRITERIA
    }

    enum OrderType {
        FULL_OPEN,
        PARTIAL_OPEN,
        FULL_RESTRICTED,
        PARTIAL_RESTRICTED,
        CONTRACT
    }

    struct OfferItem {
        ItemType itemType;
        address token;
        uint256 identifierOrCriteria;
        uint256 startAmount;
        uint256 endAmount;
    }

    struct ConsiderationItem {
        ItemType itemType;
        address token;
        uint256 identifierOrCriteria;
        uint256 startAmount;
        uint256 endAmount;
        address payable recipient;
    }

    /// @dev What the offerer signs (EIP-712 `OrderComponents`).
    struct OrderComponents {
        address offerer;
        address zone;
        OfferItem[] offer;
        ConsiderationItem[] consideration;
        OrderType orderType;
        uint256 startTime;
        uint256 endTime;
        bytes32 zoneHash;
        uint256 salt;
        bytes32 conduitKey;
        uint256 counter;
    }

    struct OrderParameters {
        address offerer;
        address zone;
        OfferItem[] offer;
        ConsiderationItem[] consideration;
        OrderType orderType;
        uint256 startTime;
        uint256 endTime;
        bytes32 zoneHash;
        uint256 salt;
        bytes32 conduitKey;
        uint256 totalOriginalConsiderationItems;
    }

    struct Order {
        OrderParameters parameters;
        bytes signature;
    }

    struct SpentItem {
        ItemType itemType;
        address token;
        uint256 identifier;
        uint256 amount;
    }

    struct ReceivedItem {
        ItemType itemType;
        address token;
        uint256 identifier;
        uint256 amount;
        address payable recipient;
    }
}

/// @notice Seaport 1.6's entry points and events used by the fork tests.
interface ISeaport {
    event OrderFulfilled(
        bytes32 orderHash,
        address indexed offerer,
        address indexed zone,
        address recipient,
        SeaportTypes.SpentItem[] offer,
        SeaportTypes.ReceivedItem[] consideration
    );
    event OrdersMatched(bytes32[] orderHashes);

    function fulfillOrder(
        SeaportTypes.Order calldata order,
        bytes32 fulfillerConduitKey
    ) external payable returns (bool fulfilled);

    function getOrderHash(SeaportTypes.OrderComponents calldata order) external view returns (bytes32 orderHash);

    function getCounter(address offerer) external view returns (uint256 counter);

    function getOrderStatus(bytes32 orderHash)
        external
        view
        returns (bool isValidated, bool isCancelled, uint256 totalFilled, uint256 totalSize);

    function information()
        external
        view
        returns (string memory version, bytes32 domainSeparator, address conduitController);

    function name() external view returns (string memory);
}

/// @notice Seaport's ConduitController (views only).
interface IConduitController {
    function getConduitCodeHashes() external view returns (bytes32 creationCodeHash, bytes32 runtimeCodeHash);
}

/// @notice WETH9 as deployed on mainnet (solc 0.4.19) and in `@uniswap/v2-periphery` (solc 0.6).
interface IWETH9 {
    function name() external view returns (string memory);
    function symbol() external view returns (string memory);
    function decimals() external view returns (uint8);
    function balanceOf(address) external view returns (uint256);
    function totalSupply() external view returns (uint256);
    function deposit() external payable;
    function withdraw(uint256 wad) external;
    function approve(address guy, uint256 wad) external returns (bool);
    function transfer(address dst, uint256 wad) external returns (bool);
}
