// SPDX-License-Identifier: MIT
pragma solidity 0.8.24;

import {IDutchAuction} from "../../src/interfaces/IDutchAuction.sol";
import {ILendingPool} from "../../src/interfaces/ILendingPool.sol";
import {ILendingPoolTypes} from "../../src/interfaces/ILendingPoolTypes.sol";
import {DutchAuction} from "../../src/liquidation/DutchAuction.sol";
import {AuctionTestERC1155, AuctionTestERC20, AuctionTestERC721} from "../mocks/AuctionTestTokens.sol";
import {MockLendingPool} from "../mocks/MockLendingPool.sol";
import {MockValuationForAuction} from "../mocks/MockValuationForAuction.sol";
import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";
import {Test} from "forge-std/Test.sol";

/// @notice The auction module behind a proxy, over the mock pool and mock valuation.
abstract contract AuctionFixture is Test {
    uint256 internal constant UNIT_PRICE = 10 ether;
    uint256 internal constant DEBT = 6 ether;

    address internal timelock = makeAddr("timelock");
    address internal guardian = makeAddr("guardian");
    address internal custody = makeAddr("custody");
    address internal borrower = makeAddr("borrower");
    address internal keeper = makeAddr("keeper");
    address internal buyer = makeAddr("buyer");
    address internal stranger = makeAddr("stranger");

    AuctionTestERC20 internal token;
    AuctionTestERC721 internal nft;
    AuctionTestERC1155 internal multi;
    MockValuationForAuction internal valuation;
    MockLendingPool internal pool;
    DutchAuction internal implementation;
    DutchAuction internal auction;

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        token = new AuctionTestERC20(18);
        nft = new AuctionTestERC721();
        multi = new AuctionTestERC1155();
        valuation = new MockValuationForAuction();
        pool = new MockLendingPool(address(token), address(valuation), custody);
        pool.setStandard(address(multi), 2);
        valuation.setPrice(address(nft), UNIT_PRICE);
        valuation.setPrice(address(multi), UNIT_PRICE);

        implementation = new DutchAuction(ILendingPool(address(pool)));
        auction = DutchAuction(
            address(
                new ERC1967Proxy(
                    address(implementation),
                    abi.encodeCall(DutchAuction.initialize, (address(pool), timelock, guardian))
                )
            )
        );
        pool.setLiquidator(address(auction));

        vm.label(address(token), "token");
        vm.label(address(nft), "nft");
        vm.label(address(pool), "pool");
        vm.label(address(auction), "auction");
        vm.label(address(valuation), "valuation");
    }

    /// @dev A loan of `DEBT` against ERC-721 `tokenId`, marked liquidatable.
    function _openLoan(uint256 tokenId) internal returns (uint256 loanId, ILendingPoolTypes.Loan memory loan) {
        nft.mint(borrower, tokenId);
        vm.prank(borrower);
        nft.setApprovalForAll(address(pool), true);
        (loanId, loan) = pool.openLoan(borrower, address(nft), tokenId, 1, DEBT);
        pool.setLiquidatable(loanId, true);
    }

    function _openAndStart(uint256 tokenId)
        internal
        returns (uint256 loanId, ILendingPoolTypes.Loan memory loan, IDutchAuction.Auction memory a)
    {
        (loanId, loan) = _openLoan(tokenId);
        vm.prank(keeper);
        (a, loan) = auction.start(loanId, loan);
    }

    /// @dev Mints `amount` to `who` and approves the auction for it.
    function _fund(address who, uint256 amount) internal {
        token.mint(who, amount);
        vm.prank(who);
        token.approve(address(auction), type(uint256).max);
    }
}
