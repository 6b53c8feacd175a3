// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {DefaultParams} from "../../script/lib/DefaultParams.sol";
import {LendingPool} from "../../src/LendingPool.sol";
import {ILendingPool} from "../../src/interfaces/ILendingPool.sol";
import {ILendingPoolAdmin} from "../../src/interfaces/ILendingPoolAdmin.sol";
import {ILendingPoolCore} from "../../src/interfaces/ILendingPoolCore.sol";
import {ILendingPoolTypes} from "../../src/interfaces/ILendingPoolTypes.sol";
import {DutchAuction} from "../../src/liquidation/DutchAuction.sol";
import {Valuation} from "../../src/oracle/Valuation.sol";
import {LendingPoolExtension} from "../../src/pool/LendingPoolExtension.sol";
import {TraitPricer} from "../../src/pricer/TraitPricer.sol";
import {MockAggregator} from "../../test/mocks/MockAggregator.sol";
import {MockBlocklistToken} from "../../test/mocks/MockERC20.sol";
import {MockERC1155, MockERC721} from "../../test/mocks/MockNFTs.sol";
import {Actor} from "./Actor.sol";
import {IHevm} from "./IHevm.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";

/// @notice Deploys the whole system the way production does, with no constructor arguments (Echidna and medusa
/// deploy the harness themselves): a USDC-like 6-decimal asset with a blocklist, one ERC-721 and one ERC-1155
/// collection, the real Valuation (sales TWAP + an 8-decimal Chainlink-style floor feed per collection), the real
/// TraitPricer, the LendingPool and the DutchAuction behind ERC-1967 proxies, and an OpenZeppelin TimelockController
/// with a 48 h delay as the only timelock of all four. The harness is the timelock's proposer (executors: anyone) and
/// the TWAP reporter; a dedicated actor is the guardian.
abstract contract Setup {
    IHevm internal constant hevm = IHevm(address(uint160(uint256(keccak256("hevm cheat code")))));

    uint256 internal constant START_TIME = 1_700_000_000;
    uint256 internal constant START_BLOCK = 1_000_000;
    uint256 internal constant TIMELOCK_DELAY = 2 days;
    uint256 internal constant WAD = 1e18;
    uint256 internal constant BPS = 10_000;
    uint256 internal constant USDC = 1e6;
    uint256 internal constant APE_PRICE = 50_000 * USDC;
    uint256 internal constant ITEM_PRICE = 500 * USDC;
    /// @dev Feeds answer with 8 decimals, the pool asset has 6: the valuation divides answers by 100.
    uint256 internal constant FEED_SCALE = 100;
    uint96 internal constant FEED_MAX_ANSWER = 1e18;
    uint88 internal constant TWAP_MAX_PRICE = 1e15;
    uint24 internal constant HEARTBEAT = 1 days;
    uint256 internal constant MIN_LOAN = 100 * USDC;
    uint256 internal constant DEBT_CEILING = 50_000_000 * USDC;
    uint256 internal constant SEED_LIQUIDITY = 1_000_000 * USDC;
    uint256 internal constant N_ACTORS = 4;
    /// @dev ERC-1155 ids used as collateral.
    uint256 internal constant N_ITEM_IDS = 3;
    /// @dev ERC-721 ids reserved for trait-priced tokens start here (plain ids count up from 1).
    uint256 internal constant TRAIT_ID_BASE = 1_000_000;

    MockBlocklistToken internal usdc;
    MockERC721 internal apes;
    MockERC1155 internal items;
    MockAggregator internal apesFeed;
    MockAggregator internal itemsFeed;
    Valuation internal valuation;
    TraitPricer internal pricer;
    ILendingPool internal pool;
    DutchAuction internal auction;
    TimelockController internal timelock;
    /// @dev A second pool implementation with the same immutables, for upgrades through the timelock.
    address internal spareImpl;
    address internal poolImpl;
    Actor internal guardian;
    Actor[] internal actors;
    address internal constant CUSTODY = address(0xC0570D1);
    address internal constant TREASURY = address(0x7EA5);

    constructor() {
        hevm.warp(START_TIME);
        hevm.roll(START_BLOCK);
        _deployTokens();
        _deployCore();
        _configure();
        _seedOracle();
        _seedActors();
    }

    function _deployTokens() internal {
        usdc = new MockBlocklistToken("USD Coin", "USDC", 6);
        apes = new MockERC721();
        items = new MockERC1155();
        apesFeed = new MockAggregator(8);
        itemsFeed = new MockAggregator(8);
        apesFeed.setAnswer(int256(APE_PRICE * FEED_SCALE));
        itemsFeed.setAnswer(int256(ITEM_PRICE * FEED_SCALE));
    }

    function _deployCore() internal {
        address[] memory proposers = new address[](1);
        proposers[0] = address(this);
        address[] memory executors = new address[](1); // address(0): anyone may execute a ready operation
        // Delay 0 while the harness configures the system; raised to 48 h through the timelock itself below.
        timelock = new TimelockController(0, proposers, executors, address(0));
        guardian = new Actor();
        address tl = address(timelock);

        valuation = Valuation(
            address(
                new ERC1967Proxy(
                    address(new Valuation(address(0), 0)),
                    abi.encodeCall(Valuation.initialize, (tl, address(guardian), 6))
                )
            )
        );
        pricer = TraitPricer(
            address(
                new ERC1967Proxy(
                    address(new TraitPricer()),
                    abi.encodeCall(TraitPricer.initialize, (tl, address(guardian), hevm.addr(signerKey)))
                )
            )
        );
        poolImpl = _newPoolImpl();
        spareImpl = _newPoolImpl();
        pool = ILendingPool(
            address(
                new ERC1967Proxy(
                    poolImpl,
                    abi.encodeCall(
                        LendingPool.initialize,
                        ("NFT Pool USDC", "npUSDC", tl, address(guardian), CUSTODY, _rateConfig())
                    )
                )
            )
        );
        auction = DutchAuction(
            address(
                new ERC1967Proxy(
                    address(new DutchAuction(pool)),
                    abi.encodeCall(DutchAuction.initialize, (address(pool), tl, address(guardian)))
                )
            )
        );
    }

    function _newPoolImpl() internal returns (address) {
        return address(
            new LendingPool(
                address(usdc), address(valuation), address(new LendingPoolExtension(address(usdc), address(valuation)))
            )
        );
    }

    /// @dev Every configuration call goes through the timelock, as in production.
    function _configure() internal {
        address[] memory targets = new address[](10);
        bytes[] memory calls = new bytes[](10);
        targets[0] = address(valuation);
        calls[0] = abi.encodeCall(
            Valuation.listCollection, (address(apes), address(apesFeed), HEARTBEAT, 1, FEED_MAX_ANSWER, TWAP_MAX_PRICE)
        );
        targets[1] = address(valuation);
        calls[1] = abi.encodeCall(
            Valuation.listCollection,
            (address(items), address(itemsFeed), HEARTBEAT, 1, FEED_MAX_ANSWER, TWAP_MAX_PRICE)
        );
        targets[2] = address(valuation);
        calls[2] = abi.encodeCall(Valuation.setReporter, (address(this), true));
        targets[3] = address(valuation);
        calls[3] = abi.encodeCall(Valuation.setTraitPricer, (address(pricer)));
        targets[4] = address(pricer);
        calls[4] = abi.encodeCall(TraitPricer.enableCollection, (address(apes)));
        targets[5] = address(pool);
        calls[5] = abi.encodeCall(ILendingPoolAdmin.setTerms, (address(apes), _terms(1), DEBT_CEILING));
        targets[6] = address(pool);
        calls[6] = abi.encodeCall(ILendingPoolAdmin.setTerms, (address(items), _terms(2), DEBT_CEILING));
        targets[7] = address(pool);
        calls[7] = abi.encodeCall(ILendingPoolAdmin.setLiquidator, (address(auction)));
        targets[8] = address(pool);
        calls[8] = abi.encodeCall(ILendingPoolAdmin.setCustody, (CUSTODY));
        targets[9] = address(timelock);
        calls[9] = abi.encodeCall(TimelockController.updateDelay, (TIMELOCK_DELAY));
        uint256[] memory values = new uint256[](10);
        timelock.scheduleBatch(targets, values, calls, bytes32(0), bytes32(0), 0);
        timelock.executeBatch(targets, values, calls, bytes32(0), bytes32(0));
    }

    /// @dev Five sales 10 minutes apart (a ready TWAP over 40 minutes) for each collection, then fresh floors.
    function _seedOracle() internal {
        for (uint256 i; i < 5; ++i) {
            hevm.warp(block.timestamp + 10 minutes);
            hevm.roll(block.number + 1);
            valuation.reportSale(address(apes), APE_PRICE, block.timestamp);
            valuation.reportSale(address(items), ITEM_PRICE, block.timestamp);
        }
        apesFeed.setAnswer(int256(APE_PRICE * FEED_SCALE));
        itemsFeed.setAnswer(int256(ITEM_PRICE * FEED_SCALE));
        valuation.price(address(apes));
        valuation.price(address(items));
    }

    function _seedActors() internal {
        for (uint256 i; i < N_ACTORS; ++i) {
            Actor a = new Actor();
            actors.push(a);
            a.exec(address(usdc), abi.encodeWithSignature("approve(address,uint256)", address(pool), type(uint256).max));
            a.exec(
                address(usdc), abi.encodeWithSignature("approve(address,uint256)", address(auction), type(uint256).max)
            );
            a.exec(address(apes), abi.encodeWithSignature("setApprovalForAll(address,bool)", address(pool), true));
            a.exec(address(items), abi.encodeWithSignature("setApprovalForAll(address,bool)", address(pool), true));
        }
        usdc.mint(address(actors[0]), SEED_LIQUIDITY);
        actors[0].exec(address(pool), abi.encodeCall(ILendingPoolCore.deposit, (SEED_LIQUIDITY, address(actors[0]))));
    }

    function _rateConfig() internal pure returns (ILendingPoolTypes.RateConfig memory) {
        return DefaultParams.rateConfig(MIN_LOAN);
    }

    function _terms(uint8 standard) internal pure returns (ILendingPoolTypes.Terms memory) {
        return DefaultParams.terms(standard);
    }

    /// @dev The trait-root signer key of signer generation `generation` (rotations go through the timelock).
    /// @dev The trait pricer's signer key in force (a timelock rotation replaces it), the first from seed 1.
    uint256 internal signerKey = _signerKey(1);
    /// @dev Seeds of the keys: rotations take SIGNER_KEY_BASE + their proposal number; forged roots FORGED_KEY.
    uint256 internal constant SIGNER_KEY_BASE = 1000;
    uint256 internal constant FORGED_KEY = 7;

    function _signerKey(uint256 generation) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode("trait signer", generation))) % (2 ** 255);
    }
}
